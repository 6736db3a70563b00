import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { currentLanguage, i18n } from './i18n';
import { router } from './router';
import './styles.css';

document.documentElement.lang = currentLanguage();

createApp(App).use(createPinia()).use(i18n).use(router).mount('#app');
